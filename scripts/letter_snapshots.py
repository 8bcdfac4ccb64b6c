"""Write docs/letters/*.png (see casework/letters/snapshots.py); same as
``flask --app wsgi letters snapshots``.

    .venv/bin/python scripts/letter_snapshots.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.letters.snapshots import write_snapshots

if __name__ == "__main__":
    for path in write_snapshots():
        print(path)
