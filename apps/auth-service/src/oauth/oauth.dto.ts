import { IsIn, IsOptional, IsString, Length } from 'class-validator';

/** The form body of RFC 7009 revocation and RFC 7662 introspection requests. */
export class OAuthTokenRequestDto {
  @IsString()
  @Length(1, 8192)
  token!: string;

  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: 'access_token' | 'refresh_token';

  @IsOptional()
  @IsString()
  @Length(1, 128)
  client_id?: string;

  @IsOptional()
  @IsString()
  @Length(1, 512)
  client_secret?: string;
}
