qm_program(qmail-journal qm_journal qm_queue)
qm_program(qmail-journald qm_journal qm_queue)
