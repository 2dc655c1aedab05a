"""Partitions of population re-evaluation sent to worker processes through a broker (ADR 0012).

An edge adapter, like the web: the use cases know nothing of it. The database holds the truth
(`evaluation_partitions`, claimed atomically with a lease); a message only says "run partition
(job, n)", so a lost one is sent again by the next sweep of open partitions, and a duplicate finds
its partition claimed or done and does nothing.
"""
