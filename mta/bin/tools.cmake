# qmail's small tools (mta/tools).
foreach(tool maildirmake maildir2mbox maildirwatch qmail-qread qmail-qstat qmail-showctl preline splogger bouncesaying condredirect forward)
  qm_program(${tool} qm_tools)
endforeach()
