"""keepalived.conf: lexer, preprocessor, keyword tree, typed model and semantic checks."""
