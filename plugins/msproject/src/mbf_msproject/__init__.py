"""Microsoft Project XML (MSPDI) tracker format for mbf."""
