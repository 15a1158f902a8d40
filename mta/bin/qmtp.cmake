# QMTP and QMQP: the servers (stdin/stdout or --listen daemons) and the QMQP client.
qm_program(qmail-qmtpd qm_qmtp)
qm_program(qmail-qmqpd qm_qmtp)
qm_program(qmail-qmqpc qm_qmtp qm_dkim)
