# DKIM (mta/dkim): the key tool.
qm_program(dkim-keygen qm_dkim)
qm_program(dkim-sign qm_dkim)
