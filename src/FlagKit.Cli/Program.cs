using System.Text;
using FlagKit.Cli;

// `flagkit`: the ops tool. Everything lives in FlagKitCommandLine; this only wires the console.
if (!Console.IsOutputRedirected)
{
    Console.OutputEncoding = Encoding.UTF8;
}

return await FlagKitCommandLine.RunAsync(args, Console.Out, Console.Error);
