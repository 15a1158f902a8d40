qm_program(qmail-send qm_send)
qm_program(qmail-start qm_send)
qm_program(qmail-lspawn qm_send)
qm_program(qmail-rspawn qm_send)
