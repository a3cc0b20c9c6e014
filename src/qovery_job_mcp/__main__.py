from qovery_job_mcp.cli import main

main()
