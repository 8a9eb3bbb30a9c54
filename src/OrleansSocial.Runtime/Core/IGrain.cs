namespace OrleansSocial.Runtime;

/// <summary>Anything that has a grain identity: grain references and grain instances.</summary>
#pragma warning disable CA1040 // marker interfaces, as in Orleans
public interface IAddressable;

/// <summary>Base of every grain interface.</summary>
public interface IGrain : IAddressable;

/// <summary>A grain whose key is a <see cref="Guid"/>.</summary>
public interface IGrainWithGuidKey : IGrain;

/// <summary>A grain whose key is a non-empty string.</summary>
public interface IGrainWithStringKey : IGrain;

/// <summary>A grain whose key is a 64-bit integer.</summary>
public interface IGrainWithIntegerKey : IGrain;
#pragma warning restore CA1040
