import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';

/** The form body of RFC 7009 revocation and RFC 7662 introspection requests. */
export class OAuthTokenRequestDto {
  @ApiProperty({ description: 'An access token (JWS) or a refresh token' })
  @IsString()
  @Length(1, 8192)
  token!: string;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: 'access_token' | 'refresh_token';

  @ApiPropertyOptional({ description: 'client_secret_post, or a public client' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  client_secret?: string;
}
