"""Layer 8, the embedded demo set: real face photographs with presentation attacks *simulated* from them
(print, replay, mask media; the re-capture camera), its cache key, and the shortcut audit that checks the
simulated attacks cannot be told apart by file statistics or face geometry alone. Imports
:mod:`fastk.trust` and the layers below."""
