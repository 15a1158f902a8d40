# The SMTP server (qmail-smtpd) on stdin/stdout and as a daemon; tcprules compiles the
# client rules every daemon reads (mta/server).
qm_program(qmail-smtpd qm_smtp)
qm_program(tcprules qm_server)
