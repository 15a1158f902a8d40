# The downed-host table of remote delivery (mta/remote).
qm_program(qmail-tcpto qm_remote qm_queue)
qm_program(qmail-tcpok qm_remote qm_queue)
# qmail-remote(8): one remote delivery as a program (qmail-rspawn runs it in root mode).
qm_program(qmail-remote qm_remote)
