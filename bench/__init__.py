"""Speed measurements of Hand Sign Studio against the obvious alternatives (not tests).

Run ``make bench`` (or ``python -m bench.run``); see ``bench/README.md``.
"""
