"""Layer 1, what every layer uses: strict JSON, file digests, output folders (safe names, locks, files that
name themselves when writing fails), worker threads, progress bars, the machine and its devices, the
``torchrun`` collectives, and reading the text files users write. Imports no other fastk layer."""
