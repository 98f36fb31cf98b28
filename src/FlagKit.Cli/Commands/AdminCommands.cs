using System.CommandLine;
using FlagKit.Cli.Output;
using FlagKit.Protocol.V1;

namespace FlagKit.Cli.Commands;

/// <summary><c>env list/create</c> and <c>keys list/create/revoke</c>.</summary>
internal static class AdminCommands
{
    public static Command Environments()
    {
        var list = new Command("list", "List environments with their revision and document counts");
        CommandAction.Set(list, async context =>
        {
            var response = await context.CallAsync((admin, call) => admin.ListEnvironmentsAsync(new ListEnvironmentsRequest(), call));
            var environments = response.Environments.OrderBy(e => e.Name, StringComparer.Ordinal).Select(ToJson).ToList();
            if (context.Json)
            {
                context.WriteJson(new EnvironmentListJson(environments), CliJsonContext.Default.EnvironmentListJson);
                return ExitCodes.Ok;
            }

            var table = new Table("environment", "revision>", "flags>", "segments>", "created");
            foreach (var e in environments)
            {
                table.Add(e.Name, FlagCommands.Number(e.Revision), FlagCommands.Number(e.Flags), FlagCommands.Number(e.Segments), Format.Time(e.CreatedAt));
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "The new environment's name (e.g. staging)" };
        var comment = new Option<string?>("--comment", "-m") { Description = "Why: recorded in audit", HelpName = "text" };
        var create = new Command("create", "Create an environment (empty, revision 0)") { name, comment };
        CommandAction.Set(create, async context =>
        {
            var request = new CreateEnvironmentRequest { Name = context.Value(name), Comment = context.Value(comment) ?? "" };
            var created = ToJson(await context.CallAsync((admin, call) => admin.CreateEnvironmentAsync(request, call)));
            if (context.Json)
            {
                context.WriteJson(created, CliJsonContext.Default.EnvironmentJson);
            }
            else
            {
                context.Out.WriteLine($"created environment '{created.Name}' (revision {created.Revision}).");
            }

            return ExitCodes.Ok;
        });

        return new Command("env", "Manage environments") { list, create };
    }

    public static Command Keys()
    {
        var list = new Command("list", "List API keys (never their secrets)");
        CommandAction.Set(list, async context =>
        {
            var response = await context.CallAsync((admin, call) => admin.ListApiKeysAsync(new ListApiKeysRequest(), call));
            var keys = response.Keys.Select(ToJson).ToList();
            if (context.Json)
            {
                context.WriteJson(new ApiKeyListJson(keys), CliJsonContext.Default.ApiKeyListJson);
                return ExitCodes.Ok;
            }

            var table = new Table("id", "name", "role", "environment", "prefix", "created", "status");
            foreach (var k in keys)
            {
                table.Add(k.Id, k.Name, k.Role, k.Environment ?? "-", k.Prefix, Format.Time(k.CreatedAt), k.Revoked ? "revoked" : "active");
            }

            table.WriteTo(context.Out);
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "A name saying who uses the key (e.g. checkout-service-prod)" };
        var role = new Option<string>("--role")
        {
            Description = "sdk: reads one environment (the --env one) over the sync stream; admin: uses this admin API; viewer: reads the web console only",
            DefaultValueFactory = _ => "sdk",
            HelpName = "sdk|admin|viewer",
        };
        role.AcceptOnlyFromAmong("sdk", "admin", "viewer");
        var create = new Command("create", "Create an API key; its secret is printed once") { name, role };
        CommandAction.Set(create, async context =>
        {
            var isSdk = context.Value(role) == "sdk";
            var request = new CreateApiKeyRequest
            {
                Name = context.Value(name),
                Role = context.Value(role) switch { "sdk" => ApiKeyRole.Sdk, "viewer" => ApiKeyRole.Viewer, _ => ApiKeyRole.Admin },
                Environment = isSdk ? context.Environment : "",
            };
            var response = await context.CallAsync((admin, call) => admin.CreateApiKeyAsync(request, call));
            var key = ToJson(response.Key);
            if (context.Json)
            {
                context.WriteJson(new ApiKeyCreatedJson(key, response.Secret), CliJsonContext.Default.ApiKeyCreatedJson);
                return ExitCodes.Ok;
            }

            var scope = isSdk ? $" reading '{key.Environment}'" : "";
            context.Out.WriteLine($"created {key.Role} key '{key.Name}' (id {key.Id}){scope}. The secret is shown once; store it now:");
            context.Out.WriteLine(response.Secret);
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "The key's id (see 'flagkit keys list')" };
        var revoke = new Command("revoke", "Revoke an API key: calls with it are refused from now on") { id };
        CommandAction.Set(revoke, async context =>
        {
            var request = new RevokeApiKeyRequest { Id = context.Value(id) };
            var response = await context.CallAsync((admin, call) => admin.RevokeApiKeyAsync(request, call));
            var key = ToJson(response.Key);
            if (context.Json)
            {
                context.WriteJson(new ApiKeyRevokedJson(key), CliJsonContext.Default.ApiKeyRevokedJson);
            }
            else
            {
                context.Out.WriteLine($"revoked {key.Role} key '{key.Name}' (id {key.Id}, prefix {key.Prefix}).");
            }

            return ExitCodes.Ok;
        });

        return new Command("keys", "Manage API keys") { list, create, revoke };
    }

    private static EnvironmentJson ToJson(EnvironmentInfo e) =>
        new(e.Name, e.Revision, Format.Instant(e.CreatedAt), e.FlagCount, e.SegmentCount);

    private static ApiKeyJson ToJson(ApiKeyInfo k) => new(
        k.Id,
        k.Name,
        k.Role switch { ApiKeyRole.Sdk => "sdk", ApiKeyRole.Admin => "admin", ApiKeyRole.Viewer => "viewer", _ => "unknown" },
        k.Environment.Length == 0 ? null : k.Environment,
        Format.Instant(k.CreatedAt),
        k.Revoked,
        k.Prefix);
}
