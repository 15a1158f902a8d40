# The SMTP server (qmail-smtpd) on stdin/stdout and as a daemon.
qm_program(qmail-smtpd qm_smtp Boost::program_options)
qm_program(tcprules qm_smtp)
