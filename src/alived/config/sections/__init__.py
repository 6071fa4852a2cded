"""One module per block family: value parsers and builders that the keyword tree points at."""
