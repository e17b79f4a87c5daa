import os

# Ingest runs spaCy in one thread while torch encodes in two, on two cores. By default torch's
# OpenMP threads spin while they wait, stealing the core spaCy needs; sleeping instead made
# ingest 4-7% faster here (0.76-0.80 -> 0.81-0.83 of the encode ceiling) and left plain encoding
# as fast. Set before torch loads; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
