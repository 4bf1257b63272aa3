import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))   # suite.py, shared by the test and report.py
