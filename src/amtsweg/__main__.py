from amtsweg.cli import main

main()
