# qmail-inject and its front ends (sendmail, datemail, mailsubj).
qm_program(qmail-inject qm_inject)
qm_program(sendmail qm_inject)
qm_program(datemail qm_inject)
qm_program(mailsubj qm_inject)
