"""The shared layer every family builds on: samplers (:mod:`.skew`), checks, language, records, stats, human window."""
