# qmailanalog (mta/analog): matchup and the summaries over its output.
foreach(tool matchup zoverall zfailures zdeferrals zrecipients zsenders)
  qm_program(${tool} qm_analog)
endforeach()
