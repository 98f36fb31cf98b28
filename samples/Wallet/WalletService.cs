using FlagKit.Versioning;
using Grpc.Core;
using Samples.Wallet.V1;

namespace Wallet;

/// <summary>Answers in the shape of the contract version the interceptor agreed on.</summary>
internal sealed class WalletService : Samples.Wallet.V1.Wallet.WalletBase
{
    private static readonly SemanticVersion BonusSplit = SemanticVersion.Parse("3.1.0");

    public override Task<BalanceReply> GetBalance(BalanceRequest request, ServerCallContext context)
    {
        var contract = context.GetContract("wallet-api")!;
        var version = contract.Version!.Value;
        var cash = 10_000 + (Math.Abs(request.AccountId.GetHashCode(StringComparison.Ordinal)) % 5_000);
        const long Bonus = 1_500;
        var reply = version >= BonusSplit
            ? new BalanceReply { AccountId = request.AccountId, BalanceCents = cash, BonusCents = Bonus }
            : new BalanceReply { AccountId = request.AccountId, BalanceCents = cash + Bonus };
        reply.ContractVersion = version.ToString();
        return Task.FromResult(reply);
    }
}
