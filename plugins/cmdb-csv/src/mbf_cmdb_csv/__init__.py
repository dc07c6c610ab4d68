"""mbf discovery source for CMDB CSV files whose columns are mapped in mbf.toml."""
