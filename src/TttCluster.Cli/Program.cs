using TttCluster.Cli;

// Signals first: a Ctrl-C from the first moment on gets the same handling as one during a render.
using var interrupts = Interrupts.ForThisProcess(Console.Error);
return CliApp.Run(args, new CliContext(Console.Out, Console.Error, OutputIsTerminal: !Console.IsOutputRedirected, interrupts));
