// The benchmark is being written; see issue 6.
