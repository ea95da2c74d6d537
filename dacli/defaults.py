"""Defaults shared by layers that must not import each other at start-up. No imports here."""

# scrypt cost (log2 N, r=8, p=1) for identity files: the OWASP password-storage minimum for scrypt
# (N=2^17), about 0.4 s and 128 MiB per unlock here. Each step up doubles time and memory; a manager can
# raise it per store in .dacli/store.toml. pyrage's own calibration picks 2^19 here (about 1.9 s).
PASSPHRASE_LOG_N = 17
