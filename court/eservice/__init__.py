"""Electronic service of court documents (R23–R24): inbox, delivery and read times, proof."""
