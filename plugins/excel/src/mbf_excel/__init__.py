"""mbf tracker formats for Excel workbooks."""
