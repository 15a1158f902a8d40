qm_program(qmail-journal qm_journal qm_queue)
