"""mbf discovery source for RVTools exports: vInfo (plus vPartition and vHost), xlsx or csv."""
