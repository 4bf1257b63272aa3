"""Makes the test folders' shared helpers importable from every test module (``from core.dlpack_capsule
import ...``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
