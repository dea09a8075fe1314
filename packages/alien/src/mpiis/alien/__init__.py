"""mpiis.alien (work in progress)."""
