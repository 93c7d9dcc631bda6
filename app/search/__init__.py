"""Finding artifacts: exact name, RE2 regex over names and READMEs, type and score filters,
cursor pagination."""
