"""Appeals (S6): one door for 12345 calls and the code page (`filing`), handled by the region's
units (`handling`), read in queues and on callbacks (`reading`), escalated when late
(`oversight`), and answered once (`answers`)."""
