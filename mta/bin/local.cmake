# Local delivery (dot-qmail(5), qmail-users(5)).
qm_program(qmail-local qm_local)
if(QM_LINK_QMAIL_LOCAL_STATIC)
  set_target_properties(qmail-local PROPERTIES QM_LINK_STATIC ON)
  target_link_options(qmail-local PRIVATE -static)
endif()
qm_program(qmail-newu qm_local)
qm_program(qmail-pw2u qm_local)
