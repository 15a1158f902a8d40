# POP3 over maildir: qmail-popup (authorization, checkpassword) and qmail-pop3d (the
# transaction state, run by checkpassword as the user).
qm_program(qmail-pop3d qm_pop3)
qm_program(qmail-popup qm_pop3 qm_smtp qm_server)
