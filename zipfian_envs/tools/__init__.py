"""Tools over every family: the pygame viewer (:mod:`.play`) and the vector-env benchmark (:mod:`.vector_benchmark`)."""
