return TttCluster.Cli.CliApp.Run(args, Console.Out, Console.Error);
