"""Shared test setup.

Qt must know it has no display before it is imported: without a platform it
aborts the whole process (FACTS: Qt).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
