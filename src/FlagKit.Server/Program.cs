using FlagKit.Server;

var app = FlagServerApp.Build(args);
await app.RunAsync();
