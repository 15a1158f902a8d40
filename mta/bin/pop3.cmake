# POP3 over maildir: qmail-pop3d (the transaction state, after checkpassword).
qm_program(qmail-pop3d qm_pop3)
