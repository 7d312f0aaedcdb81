namespace TttCluster.Model;
