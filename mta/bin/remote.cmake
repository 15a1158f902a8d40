# The downed-host table of remote delivery (mta/remote).
qm_program(qmail-tcpto qm_remote qm_queue)
qm_program(qmail-tcpok qm_remote qm_queue)
