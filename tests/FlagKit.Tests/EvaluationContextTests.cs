namespace FlagKit.Tests;

public sealed class EvaluationContextTests
{
    [Test]
    public void GetAttribute_WellKnownProperties_ReadByConditionNames()
    {
        var context = new EvaluationContext
        {
            AccountId = "42", Segment = "vip", Region = "eu", Game = "book-of-ra", App = "web", ClientIp = "10.0.0.1", ClientVersion = "3.2.0",
        };

        Assert.That(
            new[] { "accountId", "segment", "region", "game", "app", "ip", "clientVersion" }.Select(context.GetAttribute),
            Is.EqualTo(new[] { "42", "vip", "eu", "book-of-ra", "web", "10.0.0.1", "3.2.0" }));
        Assert.That(context.GetAttributeNames(), Is.EqualTo(new[] { "accountId", "segment", "region", "game", "app", "ip", "clientVersion" }));
    }

    [Test]
    public void WithAttribute_Custom_ReturnsACopyAndLeavesTheOriginal()
    {
        var original = EvaluationContext.ForAccount("42");

        var copy = original.WithAttribute("level", 12).WithAttribute("tier", "gold");

        Assert.That(copy.GetAttribute("level"), Is.EqualTo("12"));
        Assert.That(copy.GetAttribute("tier"), Is.EqualTo("gold"));
        Assert.That(copy.AccountId, Is.EqualTo("42"));
        Assert.That(original.GetAttribute("level"), Is.Null);
        Assert.That(copy.GetAttributeNames(), Is.EquivalentTo(new[] { "accountId", "level", "tier" }));
    }

    [Test]
    public void WithAttribute_WellKnownName_SetsTheWellKnownAttribute()
    {
        var context = EvaluationContext.ForAccount("42").WithAttribute("region", "uk");

        Assert.That(context.Region, Is.EqualTo("uk"));
    }

    [Test]
    public void WithAttribute_Null_RemovesTheAttribute()
    {
        var context = EvaluationContext.ForAccount("42").WithAttribute("tier", "gold").WithAttribute("tier", null).WithAttribute("accountId", null);

        Assert.That(context.GetAttribute("tier"), Is.Null);
        Assert.That(context.AccountId, Is.Null);
    }

    [Test]
    public void WithAttribute_FractionalNumber_ReadsInRoundTripInvariantForm()
    {
        Assert.That(new EvaluationContext().WithAttribute("ratio", 0.1).GetAttribute("ratio"), Is.EqualTo("0.1"));
    }

    [Test]
    public void WithAttribute_EmptyName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new EvaluationContext().WithAttribute("", "x"));
    }
}
