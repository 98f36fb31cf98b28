using FlagKit.Protocol.V1;
using FlagKit.Server.Hosting;
using Grpc.Core;

namespace FlagKit.Server.Tests.Hosting;

public sealed class RequestLimitsTests
{
    [Test]
    public void Check_NestedRepeatedFieldOverItsBound_NamesThePath()
    {
        var request = new SyncRequest { Ack = new Ack { Revision = 3 } };
        request.Ack.Failures.Add(new DocumentFailure { Key = "ok", Reason = "fine" });
        request.Ack.Failures.Add(new DocumentFailure { Key = new string('k', RequestLimits.MaxIdChars + 1), Reason = "fine" });

        var refused = Assert.Throws<RpcException>(() => RequestLimits.Check(request))!;

        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(refused.Status.Detail, Is.EqualTo("SyncRequest.ack.failures[1].key is 257 characters; the limit is 256."));
    }

    [Test]
    public void Check_FreeTextAtItsLargerBound_Accepted()
    {
        var request = new SetFlagStateRequest { Environment = "production", Key = "k", Options = new FlagKit.Protocol.V1.WriteOptions { Comment = new string('c', RequestLimits.MaxTextChars) } };

        Assert.DoesNotThrow(() => RequestLimits.Check(request));
    }

    [Test]
    public void Check_BytesFields_NotBoundedHere()
    {
        var request = new PutDocumentRequest { Environment = "production", Json = Google.Protobuf.ByteString.CopyFrom(new byte[100_000]) };

        Assert.DoesNotThrow(() => RequestLimits.Check(request));
    }
}
