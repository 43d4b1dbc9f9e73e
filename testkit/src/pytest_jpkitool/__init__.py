"""jpkitool's test kit: a private pcscd (:mod:`.pcscd`), fault injection
(:mod:`.faults`), the virtual card's signing keys (:mod:`.keys`) and the pytest
fixtures over them (:mod:`.plugin`).

Imports nothing at import time: a pytest run that loads the plugin but uses none of
its fixtures pays nothing for it.
"""
