# Local delivery (dot-qmail(5), qmail-users(5)).
qm_program(qmail-local qm_local)
qm_program(qmail-newu qm_local)
qm_program(qmail-pw2u qm_local)
